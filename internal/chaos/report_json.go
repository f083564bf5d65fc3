package chaos

import (
	"encoding/json"
	"time"
)

// MarshalJSON writes the report for scripts (payresult chaos --json):
// snake_case keys, durations in seconds, and whether the run passed.
func (r *Report) MarshalJSON() ([]byte, error) {
	secs := func(d time.Duration) float64 { return d.Seconds() }
	return json.Marshal(struct {
		OK                    bool           `json:"ok"`
		Seed                  int64          `json:"seed"`
		Database              string         `json:"database"`
		Instances             int            `json:"instances"`
		Payments              int            `json:"payments"`
		ByKind                map[Kind]int   `json:"by_kind"`
		ByAPI                 map[string]int `json:"by_api"`
		Faults                map[string]int `json:"faults"`
		Kills                 int            `json:"kills"`
		KillsByInstance       []int          `json:"kills_by_instance,omitempty"`
		Crashes               int            `json:"crashes"`
		Lost                  int            `json:"lost"`
		Duplicated            int            `json:"duplicated"`
		ForgeriesAccepted     int            `json:"forgeries_accepted"`
		ForgeriesNotCancelled int            `json:"forgeries_not_cancelled"`
		HonestCancelled       int            `json:"honest_cancelled"`
		ReplaysAccepted       int            `json:"replays_accepted"`
		Phantom               int            `json:"phantom"`
		Unsettled             int            `json:"unsettled"`
		NotPlayed             int            `json:"not_played"`
		ConvergeP50           float64        `json:"converge_p50_seconds"`
		ConvergeP99           float64        `json:"converge_p99_seconds"`
		ConvergeMax           float64        `json:"converge_max_seconds"`
		Settle                float64        `json:"settle_seconds"`
		Elapsed               float64        `json:"elapsed_seconds"`
		Slowest               []string       `json:"slowest,omitempty"`
		ViolationsTotal       int            `json:"violations_total"`
		Violations            []string       `json:"violations"`
	}{
		r.OK(), r.Seed, r.Database, r.Instances, r.Payments, r.ByKind, r.ByAPI, r.Faults, r.Kills, r.KillsByInstance, r.Crashes,
		r.Lost, r.Duplicated, r.ForgeriesAccepted, r.ForgeriesNotCancelled, r.HonestCancelled, r.ReplaysAccepted,
		r.Phantom, r.Unsettled, r.NotPlayed, secs(r.ConvergeP50), secs(r.ConvergeP99), secs(r.ConvergeMax),
		secs(r.Settle), secs(r.Elapsed), r.Slowest, r.violations, append([]string{}, r.Violations...),
	})
}
