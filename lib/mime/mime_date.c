/*
 * mime_date - RFC 5322 3.3 date-time, with the obsolete forms of 4.3:
 * comments anywhere, optional day name and seconds, two- and
 * three-digit years, zone names and military zones (taken as +0000,
 * as 4.3 advises since their sign was defined backwards).  The time is
 * computed without the C library's time zone (no TZ dependence).
 */
#include <string.h>
#include <strings.h>

#include "mime_int.h"

static const char *const months[] = { "jan", "feb", "mar", "apr", "may",
	"jun", "jul", "aug", "sep", "oct", "nov", "dec" };

static const struct {
	const char *name;
	int hours;
} zones[] = {
	{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
	{ "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
	{ "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 },
};

/* number - up to max digits at *i; -1 when there are none */
static long
number(const char *s, size_t n, size_t *i, int max, int *ndig)
{
	long v = 0;
	int d = 0;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9' && d < max) {
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		d++;
	}
	if (ndig)
		*ndig = d;
	return d ? v : -1;
}

static size_t
alpha_end(const char *s, size_t n, size_t i)
{
	while (i < n && ((s[i] >= 'a' && s[i] <= 'z') ||
	    (s[i] >= 'A' && s[i] <= 'Z')))
		i++;
	return i;
}

/* days_from_civil - days since 1970-01-01 of a proleptic Gregorian
 * date (the well-known era arithmetic). */
static long long
days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (long long)era * 146097 + doe - 719468;
}

int
mime_parse_date(const char *s, size_t n, time_t *t)
{
	size_t i, e, k;
	long day, mon = -1, year, hh, mm, ss = 0, zone = 0;
	int nd;

	i = mime_cfws(s, n, 0);
	e = alpha_end(s, n, i);
	if (e > i) {	/* day name, with or without its comma */
		i = mime_cfws(s, n, e);
		if (i < n && s[i] == ',')
			i = mime_cfws(s, n, i + 1);
	}
	if ((day = number(s, n, &i, 2, NULL)) < 1 || day > 31)
		return -1;
	i = mime_cfws(s, n, i);
	if (i < n && s[i] == '-')	/* "1-Jan-2001" seen in the wild */
		i++;
	e = alpha_end(s, n, i);
	if (e - i >= 3 && mime_month(s + i) >= 0)
		mon = (long)mime_month(s + i) + 1;
	if (mon < 0)
		return -1;
	i = mime_cfws(s, n, e);
	if (i < n && s[i] == '-')
		i++;
	if ((year = number(s, n, &i, 4, &nd)) < 0)
		return -1;
	if (nd == 2)
		year += year < 50 ? 2000 : 1900;
	else if (nd == 3)
		year += 1900;
	i = mime_cfws(s, n, i);
	if ((hh = number(s, n, &i, 2, NULL)) < 0 || hh > 23)
		return -1;
	i = mime_cfws(s, n, i);
	if (i >= n || s[i] != ':')
		return -1;
	i = mime_cfws(s, n, i + 1);
	if ((mm = number(s, n, &i, 2, NULL)) < 0 || mm > 59)
		return -1;
	i = mime_cfws(s, n, i);
	if (i < n && s[i] == ':') {
		i = mime_cfws(s, n, i + 1);
		if ((ss = number(s, n, &i, 2, NULL)) < 0 || ss > 60)
			return -1;
		if (ss == 60)
			ss = 59;	/* leap second: close enough */
		i = mime_cfws(s, n, i);
	}
	if (i < n && (s[i] == '+' || s[i] == '-')) {
		long z;
		size_t z0 = i + 1;

		k = z0;
		if ((z = number(s, n, &k, 4, &nd)) < 0 || nd != 4 ||
		    z % 100 > 59)
			return -1;
		zone = (z / 100) * 3600 + (z % 100) * 60;
		if (s[i] == '-')
			zone = -zone;
	} else {
		e = alpha_end(s, n, i);
		for (k = 0; k < sizeof(zones) / sizeof(zones[0]); k++)
			if (hdr_name_is(s + i, e - i, zones[k].name))
				zone = zones[k].hours * 3600L;
		/* other names and military letters: +0000 (4.3) */
	}
	*t = (time_t)(days_from_civil(year, mon, day) * 86400LL +
	    hh * 3600 + mm * 60 + ss - zone);
	return 0;
}

int
mime_month(const char *s)
{
	int k;

	for (k = 0; k < 12; k++)
		if (strncasecmp(s, months[k], 3) == 0)
			return k;
	return -1;
}
