package main

import "testing"

func TestGCPercentFollowsTheLiveHeap(t *testing.T) {
	tests := []struct {
		live uint64
		want int
	}{
		{0, 400},
		{30 << 20, 400},
		{128 << 20, 200},
		{512 << 20, 100},
		{2 << 30, 100},
	}
	for _, tt := range tests {
		if got := gcPercentFor(tt.live); got != tt.want {
			t.Errorf("gcPercentFor(%d MiB) = %d, want %d", tt.live>>20, got, tt.want)
		}
	}
}
