package emulator

import "testing"

// TestPHPJSON checks the escaping of PHP's json_encode that PortOne's
// answers have.
func TestPHPJSON(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"slash", "https://a.example/b", `"https:\/\/a.example\/b"`},
		{"hangul", "KB국민카드", `"KB\uad6d\ubbfc\uce74\ub4dc"`},
		{"html characters stay", "a&b<c>d", `"a&b<c>d"`},
		{"literal backslash-u text", `\u0026`, `"\\u0026"`},
		{"backslash before slash", `\/`, `"\\\/"`},
		{"quote and control", "\"\n", `"\"\n"`},
		{"astral plane", "😀", `"\ud83d\ude00"`},
		{"full-width parentheses", "（주）", `"\uff08\uc8fc\uff09"`},
		{"object key order kept", struct {
			B int    `json:"b"`
			A string `json:"a"`
		}{1, "/"}, `{"b":1,"a":"\/"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(phpJSON(tt.in)); got != tt.want {
				t.Errorf("phpJSON(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}
