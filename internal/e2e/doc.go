// Package e2e holds payresult's end-to-end tests: `payresult serve` in
// sandbox mode, started through the command's own Run on a free port with
// a temporary SQLite file, driven over HTTP and from a real Chromium
// through the demo shop, the sandbox payment window and the result page.
//
// The browser tests skip when no Chromium is installed, unless
// PAYRESULT_TEST_BROWSER=required (CI sets it). With
// PAYRESULT_E2E_SHOTS=<dir> they also save a screenshot of every page
// they check there: each buyer page on a phone and on a laptop (named
// buyer-<screen>-<page>.png) and the admin pages; a failing browser
// test always keeps a screenshot of its last page under
// $TMPDIR/payresult-e2e/.
package e2e
