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

bool place_occurrence_counts(const char *norm, size_t len, size_t nstart, size_t nend)
{
    if (followed_by(norm, len, nend, place_admin_suffixes)) {
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
