package cli

import (
	"runtime"

	"github.com/payresult/payresult/internal/metrics"
)

// buildInfo names this binary's build for payresult_build_info: the same
// version payresult version prints, its commit and Go release.
func buildInfo() metrics.BuildInfo {
	bi, _ := readBuildInfo()
	b := metrics.BuildInfo{Version: buildVersion(bi), GoVersion: runtime.Version()}
	if bi == nil {
		return b
	}
	if bi.GoVersion != "" {
		b.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			b.Revision = s.Value
		}
	}
	return b
}
