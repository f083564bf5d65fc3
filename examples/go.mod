module github.com/payresult/payresult/examples

go 1.26.0

require github.com/payresult/payresult v0.0.0

require (
	github.com/google/go-cmp v0.7.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
)

replace github.com/payresult/payresult => ../
