// Package parallel spreads independent steps over the machine's cores.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// For calls fn(i) for every i in [0, n), on as many goroutines as there are cores, and
// returns when all have returned. The calls must be independent; each writes only its own
// result, so the outcome is the same in any order.
func For(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// Ordered calls work(i) for every i in [0, n) on every core, and consume(i, result) for
// each in order of i, on the calling goroutine. It works through batches of batch indices,
// so that at most a batch of results is held at once: work's results can be large and
// consume can shrink them.
func Ordered[T any](n, batch int, work func(i int) T, consume func(i int, result T)) {
	results := make([]T, min(batch, n))
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		For(hi-lo, func(i int) { results[i] = work(lo + i) })
		for i := range hi - lo {
			consume(lo+i, results[i])
			var zero T
			results[i] = zero
		}
	}
}
