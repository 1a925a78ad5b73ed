package identity

import (
	"math"
	"slices"

	"custgraph/internal/customer"
)

// Signal is one kind of evidence a link rests on.
type Signal = customer.MatchSignal

// The signals.
const (
	NameExact      = customer.SignalNameExact
	NameNormalized = customer.SignalNameNormalized
	NameSimilar    = customer.SignalNameSimilar
	Alias          = customer.SignalAlias
	Phone          = customer.SignalPhone
	Email          = customer.SignalEmail
	Contact        = customer.SignalContact
	CreditCode     = customer.SignalCreditCode
	Confirmed      = customer.SignalConfirmed
)

// Weights, in natural log-odds. A candidate pair starts at prior: most
// pairs that share one key are not the same customer. Each piece of
// evidence adds its weight; the sum s gives the confidence 1/(1+e^-s).
// They were set from what each piece means in the world, then checked
// against generated data of a seed the evaluation does not use (cd bench
// && go run ./eval -scores lists its candidate pairs by score, with the
// share right): a homophone alone was weighed 5.5 first, and such pairs
// were right one time in three, so it weighs 3. make eval reports, on
// other seeds, precision and recall per threshold and how well the
// confidence is calibrated.
const (
	prior = -5.0

	// A name written identically (with a region or a legal form, so not a
	// bare word) is as good as an ID within one company's records.
	wNameExact = 10.0
	wNameBare  = 6.0 // identical, but a bare word (卓创)
	// Same trade name and industry once width, legal form and region are
	// folded.
	wNameNormalized = 7.5
	// Same trade name, one industry a short form of the other (电子 for
	// 电子科技).
	wNameShortened = 6.0
	// Same trade name, one side written without industry (卓创 alone):
	// weaker, and weaker still when many companies share the trade name.
	wTradeAlone = 4.0
	// Same pinyin, another character (卓闯 for 卓创), same industry.
	wHomophone = 3.0
	// An alias (U8's short name) equal to the other's name.
	wAlias = 6.5

	// Two company names with nothing in common: people keep the trade
	// name, so this is strong evidence against.
	wNamesDiffer = -7.0
	// A branch against its parent, or two branches.
	wBranch = -9.0
	// Same trade name, another industry (卓创纺织 vs 卓创科技).
	wIndustry = -8.0
	// Written in another city or province: in both names, or from the
	// address or area code of one.
	wRegionNames = -10.0
	wRegionOther = -8.0
	// The same city: one in twenty of the companies sharing a key.
	wRegionSame = 1.5
	// 有限公司 vs 股份有限公司; a 集团 against a company.
	wLegal = -1.5
	wGroup = -1.0

	// A phone or email held by these two records alone; less as more
	// records share it.
	wPhone = 6.5
	// A mobile is a person's: shared, it is the same person.
	wMobile  = 8.0
	wEmail   = 6.5
	wDomain  = 2.0
	wContact = 3.0
	// A unified social credit code is decisive both ways: it outweighs
	// every other piece of evidence together.
	wCredit = 40.0
)

// rare weighs a value by how many records hold it: full weight w for a
// value held by at most own records (the pair itself, or the company in
// all three sources), halving... down to nothing as it is shared: each
// doubling of the holders beyond own takes decay off.
func rare(w float64, holders, own int, decay float64) float64 {
	if holders <= own {
		return w
	}
	return max(0, w-decay*math.Log2(float64(holders)/float64(own)))
}

type evidence struct {
	sig Signal // "" for evidence against or without a signal of its own
	w   float64
}

// counter tells how many records hold a value (a key of the index).
type counter func(k key) int

// score weighs the evidence that a and b are the same customer. It is
// symmetric: score(a, b) == score(b, a).
func score(a, b *features, count counter) (float64, []Signal) {
	var t tally
	s := weigh(a, b, count, &t)
	return s, t.signals()
}

// tally holds the evidence of one pair, on the stack: a pair is scored
// with no allocation (a page of 100 records scores about a thousand).
type tally struct {
	ev [16]evidence
	n  int
}

func (t *tally) add(sig Signal, w float64) {
	if w != 0 && t.n < len(t.ev) {
		t.ev[t.n] = evidence{sig, w}
		t.n++
	}
}

// signals are the kinds of evidence for, strongest first, each once.
func (t *tally) signals() []Signal {
	ev := t.ev[:t.n]
	slices.SortStableFunc(ev, func(x, y evidence) int {
		switch {
		case x.w > y.w:
			return -1
		case x.w < y.w:
			return 1
		}
		return 0
	})
	var sigs []Signal
	for _, e := range ev {
		if e.sig != "" && e.w >= 0.5 && !slices.Contains(sigs, e.sig) {
			sigs = append(sigs, e.sig)
		}
	}
	return sigs
}

// best2 keeps the two greatest weights of a kind of evidence: the
// strongest counts in full, the second half.
type best2 struct{ first, second float64 }

func (b *best2) add(w float64) {
	switch {
	case w > b.first:
		b.first, b.second = w, b.first
	case w > b.second:
		b.second = w
	}
}

func (b best2) weight() float64 { return b.first + b.second/2 }

// weigh sums the evidence of a and b into t and returns the score.
func weigh(a, b *features, count counter, t *tally) float64 {
	add := t.add

	// Credit codes decide.
	if a.uscc != "" && b.uscc != "" {
		if a.uscc == b.uscc {
			add(CreditCode, wCredit)
		} else {
			add("", -wCredit)
		}
	}

	// Names.
	switch {
	case a.person && b.person:
		if a.name.Full == b.name.Full {
			add(Contact, rare(wContact, count(keyOf('n', a.name.Full)), 2, 1.5))
		}
	case a.person || b.person:
		p, o := a, b
		if b.person {
			p, o = b, a
		}
		if n := keyOf('n', p.name.Full); slices.Contains(o.contacts, n) {
			add(Contact, rare(wContact, count(n), 2, 1.5))
		}
	default:
		names(a, b, count, t)
	}

	// Where they are.
	if a.region != "" && b.region != "" {
		switch {
		case customer.PlacesConflict(a.region, a.province, b.region, b.province):
			if a.nameRegion && b.nameRegion {
				add("", wRegionNames)
			} else {
				add("", wRegionOther)
			}
		case a.region == b.region && customer.IsCity(a.region):
			add("", wRegionSame)
		}
	}

	// Phones: the rarest shared number counts in full, a second half.
	var phone best2
	for i, p := range a.phones {
		if slices.Contains(b.phones, p) {
			w := wPhone
			if i < 64 && a.mobile&(1<<i) != 0 {
				w = wMobile
			}
			phone.add(rare(w, count(p), 3, 2.5))
		}
	}
	add(Phone, phone.weight())

	var email best2
	shared := false
	for _, e := range a.emails {
		if slices.Contains(b.emails, e) {
			email.add(rare(wEmail, count(e), 3, 2.5))
			shared = true
		}
	}
	add(Email, email.weight())
	if !shared {
		for _, d := range a.domains {
			if slices.Contains(b.domains, d) {
				add("", rare(wDomain, count(d), 6, 1))
				break
			}
		}
	}

	if !a.person && !b.person {
		best := 0.0
		for _, n := range a.contacts {
			if slices.Contains(b.contacts, n) {
				best = max(best, rare(wContact, count(n), 2, 1.5))
			}
		}
		add(Contact, best)
	}

	s := prior
	for _, e := range t.ev[:t.n] {
		s += e.w
	}
	return s
}

// names weighs two company names.
func names(a, b *features, count counter, t *tally) {
	add := t.add
	an, bn := &a.name, &b.name
	if an.Full == "" || bn.Full == "" {
		return
	}
	// Evidence against, whatever the trade names.
	if an.Branch != bn.Branch {
		add("", wBranch)
	}
	sameCore := an.Core != "" && an.Core == bn.Core
	homophone := !sameCore && homophones(an.Core, bn.Core)
	if (sameCore || homophone) && an.IndustryConflict(*bn) {
		add("", wIndustry)
	}
	if an.LegalConflict(*bn) {
		add("", wLegal)
	}
	if an.Group != bn.Group {
		add("", wGroup)
	}

	best, sig := 0.0, Signal("")
	take := func(s Signal, w float64) {
		if w > best {
			best, sig = w, s
		}
	}
	switch {
	case an.Branch != bn.Branch:
		// Not the same name however alike: a branch is another customer.
	case a.raw == b.raw:
		if an.Legal != 0 || an.Region != "" {
			take(NameExact, wNameExact)
		} else {
			take(NameExact, wNameBare)
		}
	case sameCore && an.Industry == bn.Industry && an.Industry != "":
		take(NameNormalized, wNameNormalized)
	case sameCore && !an.IndustryConflict(*bn) && an.Industry != "" && bn.Industry != "":
		take(NameNormalized, wNameShortened)
	case sameCore && !an.IndustryConflict(*bn):
		// One or both without industry: the trade name alone. Weaker as
		// more companies share it (records with it, three per company).
		take(NameSimilar, rare(wTradeAlone, count(keyOf('c', an.Core)), 3, 1.5))
	case homophone && !an.IndustryConflict(*bn) && an.Industry != "" && bn.Industry != "":
		take(NameSimilar, wHomophone)
	}
	for _, x := range a.aliases {
		take(Alias, aliasWeight(x, *bn, count))
	}
	for _, x := range b.aliases {
		take(Alias, aliasWeight(x, *an, count))
	}
	if sig != "" {
		add(sig, best)
		return
	}
	if customer.HasHan(an.Core) && customer.HasHan(bn.Core) && !sameCore && !homophone {
		add("", wNamesDiffer)
	}
}

// aliasWeight weighs an alias (a short name) against the name n: in full
// where it names the company (the same name, or the same trade name with
// a compatible industry); as the trade name alone where n is written
// without industry (盛众 for the short name 盛众光电), which many companies
// may share.
func aliasWeight(alias, n customer.CompanyName, count counter) float64 {
	switch {
	case alias.Full == n.Full:
		return wAlias
	case alias.Core == "" || alias.Core != n.Core || alias.Branch != n.Branch || alias.IndustryConflict(n):
		return 0
	case alias.Industry != "" && n.Industry != "":
		return wAlias
	}
	return rare(wTradeAlone, count(keyOf('c', n.Core)), 3, 1.5)
}

// confidence maps a score to 0–1: the logistic function. The weights are
// log-odds, so this is the probability they claim; make eval's
// calibration table shows how far the claim holds on generated data.
func confidence(s float64) float64 { return 1 / (1 + math.Exp(-s)) }

// isMobile: a Chinese mobile number in E.164.
func isMobile(e164 string) bool {
	return len(e164) == 14 && e164[:4] == "+861"
}
