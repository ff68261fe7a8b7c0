// Package register turns what the operator observes of an asset's controls into the
// records of the risk register (risk.md): which Risks to raise, how each is scored, and
// how a Risk's lifecycle moves with drift, acceptance, closure and time. Its decisions are
// pure; the controllers apply them.
package register
