#include "place.h"

#include <string.h>

/*
 * After a place name: the full form of the place. Checked before place_name_suffixes, so
 * 街道 (a sub-district, 汉滨区老城街道) is not taken for 街 (street), nor 街头 (in the street).
 */
const char *const place_admin_suffixes[] = {
    "市", "区", "县", "镇", "乡", "街道", "街头", "新区", "高新区", "示范区", NULL,
};

/*
 * After a place name: a street, building or site elsewhere named after the place (上海市安康路,
 * 旬阳路, 安康路小区). 医院 is here because 安康医院 is the name of the public-security
 * hospitals of many provinces (北京, 上海, 杭州 ...); the city's own hospitals are called by
 * the full form (安康市中心医院), which counts.
 */
const char *const place_name_suffixes[] = {
    "路", "街", "大街", "大道", "巷", "胡同", "弄", "里", "小区", "花园", "家园", "新村",
    "苑", "公寓", "大厦", "大楼", "广场", "医院", NULL,
};

/* Before a place name: another province-level region (陕西 is the deployment's own). */
const char *const place_other_regions[] = {
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏",
    "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南",
    "四川", "贵州", "云南", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏",
    "新疆", "香港", "澳门", NULL,
};

/*
 * Ordinary words, set phrases and names that contain a place name without naming the place:
 * the greeting 安康 (well-being: 端午安康, 新年安康, 身体安康), 平安康复 (safe recovery), 公平利用
 * (平利 inside 公平), 安康码 (Anhui's health code), and so on. An occurrence inside one of these
 * does not count. Ambiguous strings are left out on purpose: 安康复工 is "安康 resumes work", so
 * 康复 alone is not here.
 */
const char *const place_common_words[] = {
    "平安康复",
    "平安康泰",
    "健康安康",
    "身体安康",
    "新年安康",
    "端午安康",
    "中秋安康",
    "春节安康",
    "夏日安康",
    "岁岁安康",
    "福寿安康",
    "吉祥安康",
    "阖家安康",
    "合家安康",
    "祝您安康",
    "祝你安康",
    "祝大家安康",
    "公平利",
    "水平利",
    "和平利",
    /* names that begin with the place but name something else: Anhui's health code 安康码,
     * the ACFTU's national workplace-safety contest 安康杯 (in safety news of every province),
     * the anglerfish 安康鱼 */
    "安康码",
    "安康杯",
    "安康鱼",
    NULL,
};

/*
 * Longer names that begin with a word of place_common_words and name the place after all:
 * 安康码头 (Ankang wharf on the Han river) is 安康 + 码头, not the health code 安康码. The other
 * name-like common words have no such longer place name: 安康杯赛 / 安康杯竞赛 is still the
 * contest, 安康鱼 stays the fish.
 */
static const char *const common_words_kept[] = {"安康码头", NULL};

/*
 * After a place name and its 市: words that make 市 part of another word, so the occurrence is
 * not the full form 安康市 (上海市安康市场 is a market). 市场监管 (安康市市场监管局, 安康市场监管
 * 局) stays the full form.
 */
static const char *const admin_suffix_words[] = {"市场", NULL};
static const char *const admin_suffix_words_kept[] = {"市场监", NULL};

/* What may stand between a region of place_other_regions and the place. */
static const char *const region_suffixes[] = {"", "省", "市", "自治区", "特别行政区", NULL};

/* True when norm[pos ..] starts with s. */
static bool starts_at(const char *norm, size_t len, size_t pos, const char *s)
{
    size_t n = strlen(s);
    return n <= len - pos && memcmp(norm + pos, s, n) == 0;
}

/* True when norm[.. pos) ends with s. */
static bool ends_at(const char *norm, size_t pos, const char *s)
{
    size_t n = strlen(s);
    return n <= pos && memcmp(norm + pos - n, s, n) == 0;
}

/* True when norm[nend ..] starts with one of the entries of list. */
static bool followed_by(const char *norm, size_t len, size_t nend, const char *const *list)
{
    for (size_t i = 0; list[i]; i++) {
        if (starts_at(norm, len, nend, list[i])) {
            return true;
        }
    }
    return false;
}

/* True when the occurrence norm[nstart, nend) lies inside a word of place_common_words. */
static bool inside_common_word(const char *norm, size_t len, size_t nstart, size_t nend)
{
    size_t plen = nend - nstart;

    for (size_t w = 0; place_common_words[w]; w++) {
        const char *word = place_common_words[w];
        size_t wlen = strlen(word);
        /* every place the place name stands inside the word */
        for (size_t k = 0; k + plen <= wlen; k++) {
            if (memcmp(word + k, norm + nstart, plen) == 0 && k <= nstart &&
                starts_at(norm, len, nstart - k, word) &&
                !followed_by(norm, len, nstart - k, common_words_kept)) {
                return true;
            }
        }
    }
    return false;
}

bool place_occurrence_counts(const char *norm, size_t len, size_t nstart, size_t nend)
{
    if (inside_common_word(norm, len, nstart, nend)) {
        return false;
    }
    if (followed_by(norm, len, nend, place_admin_suffixes) &&
        (!followed_by(norm, len, nend, admin_suffix_words) ||
         followed_by(norm, len, nend, admin_suffix_words_kept))) {
        return true;
    }
    if (followed_by(norm, len, nend, place_name_suffixes)) {
        return false;
    }
    for (size_t s = 0; region_suffixes[s]; s++) {
        size_t pos = nstart;
        if (!ends_at(norm, pos, region_suffixes[s])) {
            continue;
        }
        pos -= strlen(region_suffixes[s]);
        for (size_t r = 0; place_other_regions[r]; r++) {
            if (ends_at(norm, pos, place_other_regions[r])) {
                return false;
            }
        }
    }
    return true;
}
