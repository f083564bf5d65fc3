package admin

import (
	"strconv"
	"time"

	"github.com/payresult/payresult"
)

// The chart shows chartMinutes one-minute bars ending now.
const chartMinutes = 60

// Chart geometry, in SVG user units; the SVG scales to its box.
const (
	chartW, chartH = 720.0, 220.0
	plotLeft       = 36.0
	plotTop        = 10.0
	plotBottom     = 190.0
	barGap         = 2.0
)

// series is one outcome of the chart: the events that count toward it,
// and its colour.
type series struct {
	Name  string
	Color string
	types []payresult.EventType
}

// chartSeries are the outcomes, stacked bottom to top.
var chartSeries = []series{
	{"결제 완료 · paid", "#15803d", []payresult.EventType{payresult.EventPaid}},
	{"입금 대기 · vbank issued", "#2563eb", []payresult.EventType{payresult.EventVbankIssued}},
	{"실패 · failed", "#d97706", []payresult.EventType{payresult.EventFailed}},
	{"환불 · refunded", "#7c3aed", []payresult.EventType{payresult.EventRefunded, payresult.EventPartiallyRefunded}},
	{"위변조 · forged", "#b91c1c", []payresult.EventType{payresult.EventForged}},
	{"만료 · expired", "#6b7280", []payresult.EventType{payresult.EventExpired}},
}

// Chart is the data of the payments-per-minute SVG.
type Chart struct {
	W, H, PlotBottom, PlotLeft, PlotRight float64
	Rects                                 []Rect
	YTicks, XTicks                        []Tick
	Legend                                []LegendItem
	Total                                 int
	Truncated                             bool
}

// Rect is one stacked segment of a bar.
type Rect struct {
	X, Y, W, H float64
	Color      string
	Title      string // tooltip: minute, outcome, count
}

// Tick is a labelled gridline of the count axis or the time axis.
type Tick struct {
	X, Y   float64
	Label  string
	Anchor string // SVG text-anchor: the last time label ends at the edge rather than past it
}

// LegendItem is one outcome's colour and count in the last hour.
type LegendItem struct {
	Name, Color string
	Count       int
}

// buildChart counts evs by minute and outcome over the hour before now.
func buildChart(evs []payresult.Event, now time.Time, truncated bool) Chart {
	end := now.Truncate(time.Minute).Add(time.Minute)
	start := end.Add(-chartMinutes * time.Minute)
	counts := make([][]int, chartMinutes) // [minute][series]
	for i := range counts {
		counts[i] = make([]int, len(chartSeries))
	}
	c := Chart{W: chartW, H: chartH, PlotBottom: plotBottom, PlotLeft: plotLeft, PlotRight: chartW - 4, Truncated: truncated}
	legend := make([]int, len(chartSeries))
	for _, ev := range evs {
		si, ok := seriesOf(ev.Type)
		m := int(ev.CreatedAt.Sub(start) / time.Minute)
		if !ok || m < 0 || m >= chartMinutes {
			continue
		}
		counts[m][si]++
		legend[si]++
		c.Total++
	}
	for i, s := range chartSeries {
		c.Legend = append(c.Legend, LegendItem{Name: s.Name, Color: s.Color, Count: legend[i]})
	}
	top := niceMax(maxStack(counts))
	c.Rects = bars(counts, start, top)
	c.YTicks, c.XTicks = ticks(top, start)
	return c
}

func seriesOf(t payresult.EventType) (int, bool) {
	for i, s := range chartSeries {
		for _, st := range s.types {
			if st == t {
				return i, true
			}
		}
	}
	return 0, false
}

func maxStack(counts [][]int) int {
	best := 0
	for _, m := range counts {
		sum := 0
		for _, n := range m {
			sum += n
		}
		best = max(best, sum)
	}
	return best
}

// niceMax rounds the tallest bar up to 1, 2 or 5 times a power of ten, so
// that the axis reads in round numbers.
func niceMax(n int) int {
	if n <= 1 {
		return 1
	}
	for p := 1; ; p *= 10 {
		for _, f := range []int{1, 2, 5} {
			if f*p >= n {
				return f * p
			}
		}
	}
}

// bars lays out the stacked segments, one column per minute.
func bars(counts [][]int, start time.Time, top int) []Rect {
	slot := (chartW - 4 - plotLeft) / chartMinutes
	scale := (plotBottom - plotTop) / float64(top)
	var rects []Rect
	for m, perSeries := range counts {
		y := plotBottom
		minute := start.Add(time.Duration(m) * time.Minute).In(kst).Format("15:04")
		for si, n := range perSeries {
			if n == 0 {
				continue
			}
			h := float64(n) * scale
			y -= h
			rects = append(rects, Rect{
				X: plotLeft + float64(m)*slot + barGap/2, Y: y, W: slot - barGap, H: h,
				Color: chartSeries[si].Color, Title: minute + " · " + chartSeries[si].Name + ": " + strconv.Itoa(n),
			})
		}
	}
	return rects
}

// ticks labels the count axis at 0, half and top, and the time axis
// every fifteen minutes.
func ticks(top int, start time.Time) (y, x []Tick) {
	scale := (plotBottom - plotTop) / float64(top)
	for _, v := range []int{0, top / 2, top} {
		if v == 0 && len(y) > 0 {
			continue // top is 1: half of it rounds to 0, already drawn
		}
		y = append(y, Tick{X: plotLeft - 4, Y: plotBottom - float64(v)*scale, Label: strconv.Itoa(v)})
	}
	slot := (chartW - 4 - plotLeft) / chartMinutes
	for m := 0; m <= chartMinutes; m += 15 {
		anchor := "middle"
		if m == chartMinutes {
			anchor = "end"
		}
		x = append(x, Tick{X: plotLeft + float64(m)*slot, Y: plotBottom + 16, Anchor: anchor,
			Label: start.Add(time.Duration(m) * time.Minute).In(kst).Format("15:04")})
	}
	return y, x
}
