package quota

import (
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		give    string
		want    Rate
		wantErr bool
	}{
		{"10/10s", Rate{N: 10, Per: 10 * time.Second}, false},
		{" 3 / 300ms ", Rate{N: 3, Per: 300 * time.Millisecond}, false},
		{"0", Rate{Off: true}, false},
		{"off", Rate{Off: true}, false},
		{"10", Rate{}, true},
		{"-1/1s", Rate{}, true},
		{"5/0s", Rate{}, true},
		{"five/1s", Rate{}, true},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.give)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("ParseRate(%q) = %+v, %v; want %+v (error %v)", tt.give, got, err, tt.want, tt.wantErr)
		}
	}
}
