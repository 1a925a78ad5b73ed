package lenient

import "time"

// The local-time layouts ParseLocal reads without time.Parse.
const (
	LayoutDate        = "2006-01-02"
	LayoutDateMinutes = "2006-01-02 15:04"
	LayoutDateTime    = "2006-01-02 15:04:05"
)

// ParseLocal reads s when it is exactly one of LayoutDate,
// LayoutDateMinutes and LayoutDateTime, with two-digit fields and values
// in range, and returns the layout it matched. The time is the one
// time.ParseInLocation(layout, s, loc) returns. Anything else, fractional
// seconds included, is not ok: the caller then tries its layouts with
// time.ParseInLocation as before. Vendors send these shapes on every
// record, and time.Parse walks the layout and allocates an error for each
// layout tried in vain.
func ParseLocal(s string, loc *time.Location) (t time.Time, layout string, ok bool) {
	switch len(s) {
	case len(LayoutDate):
		layout = LayoutDate
	case len(LayoutDateMinutes):
		layout = LayoutDateMinutes
	case len(LayoutDateTime):
		layout = LayoutDateTime
	default:
		return time.Time{}, "", false
	}
	var f [6]int // year, month, day, hour, minute, second
	for i, p := range [6]int{0, 5, 8, 11, 14, 17} {
		if p >= len(s) {
			break
		}
		if i > 0 && s[p-1] != "?-- ::"[i] {
			return time.Time{}, "", false
		}
		end := p + 2
		if i == 0 {
			end = p + 4
		}
		for j := p; j < end; j++ {
			c := s[j]
			if c < '0' || c > '9' {
				return time.Time{}, "", false
			}
			f[i] = f[i]*10 + int(c-'0')
		}
	}
	year, month, day, hour, minute, second := f[0], time.Month(f[1]), f[2], f[3], f[4], f[5]
	if month < time.January || month > time.December || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, "", false
	}
	return time.Date(year, month, day, hour, minute, second, 0, loc), layout, true
}

// daysIn is the length of month in year, as time.Parse checks days.
func daysIn(m time.Month, year int) int {
	if m == time.February {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 30 + int((m+m/8)%2)
}
