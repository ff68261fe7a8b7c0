package parallel

import "testing"

func TestForCallsEachIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1000} {
		calls := make([]int, n)
		For(n, func(i int) { calls[i]++ })
		for i, c := range calls {
			if c != 1 {
				t.Fatalf("n=%d: index %d called %d times, want once", n, i, c)
			}
		}
	}
}

func TestOrderedConsumesEveryResultInOrder(t *testing.T) {
	for _, n := range []int{0, 1, 5, 100} {
		var got []int
		Ordered(n, 7, func(i int) int { return i * i }, func(i, square int) {
			if square != i*i {
				t.Fatalf("result of %d = %d, want %d", i, square, i*i)
			}
			got = append(got, i)
		})
		for i, v := range got {
			if v != i {
				t.Fatalf("n=%d: consumed %v, want 0..%d in order", n, got, n-1)
			}
		}
		if len(got) != n {
			t.Fatalf("n=%d: consumed %d results", n, len(got))
		}
	}
}
