# The one way files become a table of bytes in a C file, shared by the scripts that embed data
# files (common/embed_files.cmake: the sentiment lists, the hot words' stop words;
# web/embed.cmake: the web assets), so their generated arrays and tables stay alike.
#
# yq_embed_table(FILES PREFIX DECL BODY_VAR COUNT_VAR): append to the variable named BODY_VAR,
# for the i-th of the files FILES (a list), `static const unsigned char PREFIX<i>[] = {...};`
# with its bytes (16 a line) and a NUL after them; then the table `DECL = {...};`, one row
# `{"<file name>", PREFIX<i>, <size in bytes, without the NUL>},` a file and a last row of
# zeros. DECL is the table's declarator ("const struct web_asset web_assets[]"), with any
# declaration it needs before it. Sets the variable named COUNT_VAR to the number of files.
function(yq_embed_table files prefix decl body_var count_var)
  set(body "${${body_var}}")
  set(rows "")
  set(i 0)
  foreach(f IN LISTS files)
    get_filename_component(name ${f} NAME)
    file(READ ${f} hex HEX)
    file(SIZE ${f} size)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
    string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" hex "${hex}")
    string(APPEND body "static const unsigned char ${prefix}${i}[] = {\n${hex}0x00};\n")
    string(APPEND rows "    {\"${name}\", ${prefix}${i}, ${size}},\n")
    math(EXPR i "${i} + 1")
  endforeach()
  string(APPEND body "\n${decl} = {\n${rows}    {0, 0, 0},\n};\n")
  set(${body_var} "${body}" PARENT_SCOPE)
  set(${count_var} ${i} PARENT_SCOPE)
endfunction()
