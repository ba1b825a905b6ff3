package storetest

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand"
	"sort"
	"strings"
	"time"

	"digestbot/bot"
)

// Corpus returns a deterministic archive of about n stories (lead stories
// plus roundup items) for benchmarks: issues of an invented newsletter about
// trafficking and forced labour, about 15 a week across three feeds, oldest
// first, published over many years.
//
// Word frequencies follow a Zipf-like law over a vocabulary of everyday
// words, domain words and invented words, so that some words appear in most
// stories ("trafficking" in about 70%), others in a handful. The phrases
// "human trafficking", "forced labour" and "scam compounds" occur often; the
// words of CorpusRareWords occur in exactly three stories each, half of them
// only in the oldest tenth of the archive. The same n and seed always give
// the same issues.
func Corpus(n int, seed int64) []bot.Issue {
	g := newCorpusGen(seed)
	rare := rarePlacement(n, seed)
	start := time.Date(2008, 1, 7, 8, 0, 0, 0, time.UTC)
	feeds := []string{
		"https://digest.example.org/rss/",
		"https://labour-watch.example.net/feed.xml",
		"https://scam-monitor.example.com/rss",
	}
	var out []bot.Issue
	at := start
	story := 0
	for story < n {
		num := len(out)
		feed := num % len(feeds)
		// About 15 issues a week: one every 11.2 hours, give or take two.
		at = at.Add(92*time.Hour/10 + time.Duration(g.rng.Int63n(int64(4*time.Hour))))
		is := bot.Issue{
			Feed:       feeds[feed],
			Newsletter: []string{"Digest Newsletter", "Labour Watch", "Scam Monitor"}[feed],
			GUID:       fmt.Sprintf("corpus-%d-%06d", seed, num),
			Link:       fmt.Sprintf("https://digest.example.org/issues/%06d/", num),
			Published:  at.Truncate(time.Second),
			Image:      fmt.Sprintf("https://digest.example.org/images/%06d.jpg", num),
			Split:      true,
		}
		is.Title = g.title()
		is.Standfirst = g.sentence(14, 24, nil)
		paras := 3 + g.rng.Intn(3)
		is.Lead = g.story(paras, 40, 75, rare[story])
		story++
		items := 4 + g.rng.Intn(6)
		for i := 0; i < items && story < n; i++ {
			is.Roundup = append(is.Roundup, g.story(1, 25, 55, rare[story]))
			story++
		}
		out = append(out, is)
	}
	return out
}

// CorpusRareWords are invented words Corpus puts in exactly three stories
// each (when n is at least 1,000). Those at even indexes occur only in the
// oldest tenth of the corpus, the others anywhere.
var CorpusRareWords = []string{
	"quorbelline", "vexhollow", "marrowind", "pellucidor", "zanthemis",
	"grivolant", "ostraleen", "fendarrow", "thimbrosk", "wystmerel",
	"caldrivex", "nomberlin", "plaxitude", "sorrenwick", "tuvalmire",
	"yorrelstad",
}

// QueryClass is a kind of search the benchmarks measure, with queries of
// that kind that match Corpus's text.
type QueryClass struct {
	Name    string
	Queries []string // as a user types them
}

// CorpusQueries returns the benchmark's query classes: a rare word, a word
// in most stories, two words, a quoted phrase.
func CorpusQueries() []QueryClass {
	return []QueryClass{
		{"rare", CorpusRareWords},
		{"common", []string{"trafficking", "workers"}},
		{"two_words", []string{"trafficking workers", "migrant workers", "cambodia scam", "labour recruitment"}},
		{"phrase", []string{`"human trafficking"`, `"forced labour"`, `"scam compounds"`}},
	}
}

// rarePlacement decides which stories get which rare word.
func rarePlacement(n int, seed int64) map[int][]string {
	rng := rand.New(rand.NewSource(seed ^ 0x5eed))
	out := map[int][]string{}
	if n < 1000 {
		return out
	}
	for i, w := range CorpusRareWords {
		span := n
		if i%2 == 0 {
			span = n / 10
		}
		for _, s := range rng.Perm(span)[:3] {
			out[s] = append(out[s], w)
		}
	}
	return out
}

type corpusGen struct {
	rng   *rand.Rand
	words []string
	cum   []float64 // cumulative Zipf weights of words
}

// Everyday words, most frequent first: they lead the Zipf ranking.
var commonWords = strings.Fields(`the of and to in a for on that is with as by
from was were are said has have it at its this be their which an not more
than also or new been after who but they over other into people year report
government workers police about two under most some had last while
authorities would week many against country according since found such
between people will those across during including help support could first
told families where cases work region number million per local national
groups before these called through state years part both them officials`)

// Domain words: the newsletter's subjects, next in the ranking.
var domainWords = strings.Fields(`labour migrant recruitment victims survivors
forced exploitation scam compounds cambodia myanmar thailand laos philippines
indonesia malaysia vietnam border smuggling brokers debt bondage fishing
vessels seafood supply chains garment factories domestic agency agencies
passports wages contracts rescue raids shelter repatriation prosecution
convictions court trial law enforcement ngo ngos advocacy investigation
fraud online criminal networks gangs cyber crypto casino deception coercion
children minors sexual abuse platform social media advertisements jobs
visa asylum refugees detention deportation embassy ministry minister
parliament legislation bill amendment policy framework protocol convention
united nations unodc ilo iom report findings survey data estimates
researchers study interviews testimony journalists media coverage funding
donors grants training frontline caseworkers hotline referral screening
identification compensation remedy justice accountability sanctions
companies brands audit due diligence transparency disclosure import ban
customs goods cotton solar panels mining construction agriculture
plantations palm oil domestic workers caregivers students trafficked
trafficker traffickers recruiters employers kafala sponsorship gulf qatar
saudi emirates bangladesh nepal india pakistan srilanka africa nigeria
ghana kenya uganda ethiopia europe uk germany italy greece spain france
mexico brazil colombia usa canada australia japan korea china taiwan`)

func newCorpusGen(seed int64) *corpusGen {
	g := &corpusGen{rng: rand.New(rand.NewSource(seed))}
	seen := map[string]bool{}
	add := func(w string) {
		if !seen[w] {
			seen[w] = true
			g.words = append(g.words, w)
		}
	}
	for _, w := range commonWords {
		add(w)
	}
	for _, w := range domainWords {
		add(w)
	}
	// The long tail: invented words, deterministic for a seed.
	syl := strings.Fields(`ba be bi bo bu da de di do du fa fe fi fo ka ke ki ko
	la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po ra re ri ro ru
	sa se si so su ta te ti to tu va ve vi vo za ze zi zo an en in on ar er
	or el il ul ant ent ist ory ine ade`)
	vocab := rand.New(rand.NewSource(seed*31 + 7))
	rareSet := map[string]bool{}
	for _, w := range CorpusRareWords {
		rareSet[w] = true
	}
	for len(g.words) < 30000 {
		k := 2 + vocab.Intn(3)
		var b strings.Builder
		for range k {
			b.WriteString(syl[vocab.Intn(len(syl))])
		}
		if w := b.String(); !rareSet[w] {
			add(w)
		}
	}
	g.cum = make([]float64, len(g.words))
	total := 0.0
	for i := range g.words {
		total += 1 / math.Pow(float64(i)+2.7, 1.07)
		g.cum[i] = total
	}
	for i := range g.cum {
		g.cum[i] /= total
	}
	return g
}

func (g *corpusGen) word() string {
	return g.words[sort.SearchFloat64s(g.cum, g.rng.Float64())]
}

// sentence returns min to max words, capitalised, with a full stop, and
// the extra words spliced in at random places.
func (g *corpusGen) sentence(min, max int, extra []string) string {
	n := min + g.rng.Intn(max-min+1)
	ws := make([]string, 0, n+len(extra)+2)
	for range n {
		ws = append(ws, g.word())
	}
	for _, e := range extra {
		at := g.rng.Intn(len(ws) + 1)
		ws = append(ws[:at], append([]string{e}, ws[at:]...)...)
	}
	ws[0] = strings.ToUpper(ws[0][:1]) + ws[0][1:]
	return strings.Join(ws, " ") + "."
}

func (g *corpusGen) title() string {
	s := g.sentence(6, 11, nil)
	return strings.TrimSuffix(s, ".")
}

// story returns a story of paras paragraphs; the first sentence of the
// story carries the corpus's signature words and phrases.
func (g *corpusGen) story(paras, min, max int, rare []string) bot.Story {
	var extra []string
	if g.rng.Float64() < 0.64 {
		extra = append(extra, "trafficking")
	}
	if g.rng.Float64() < 0.5 {
		extra = append(extra, "workers")
	}
	if g.rng.Float64() < 0.25 {
		extra = append(extra, "human trafficking")
	}
	if g.rng.Float64() < 0.15 {
		extra = append(extra, "forced labour")
	}
	if g.rng.Float64() < 0.08 {
		extra = append(extra, "scam compounds")
	}
	extra = append(extra, rare...)
	var st bot.Story
	for p := range paras {
		var sentences []string
		words := min + g.rng.Intn(max-min+1)
		for words > 0 {
			k := 8 + g.rng.Intn(14)
			var ex []string
			if p == 0 && len(sentences) == 0 {
				ex = extra
			}
			sentences = append(sentences, g.sentence(k, k, ex))
			words -= k
		}
		text := strings.Join(sentences, " ")
		para := bot.Paragraph{Spans: []bot.Span{{Text: text}}}
		if p == 0 {
			url := fmt.Sprintf("https://news.example.com/%d/%d", g.rng.Int63n(1e9), len(text))
			st.URL = url
			st.Links = []string{url}
			link := "Read more"
			para.Spans = append(para.Spans, bot.Span{Text: " "}, bot.Span{Text: link, URL: url})
		}
		st.Paragraphs = append(st.Paragraphs, para)
	}
	return st
}

// Load archives issues in s (no deliveries), in order, and reports progress
// to w, if not nil, every 10,000 stories. Benchmarks of every store and of
// the HTTP handlers share it with Corpus.
func Load(ctx context.Context, s bot.Store, issues []bot.Issue, w io.Writer) error {
	stories, next := 0, 10000
	start := time.Now()
	for i := range issues {
		if _, err := s.SaveIssue(ctx, &issues[i], nil); err != nil {
			return fmt.Errorf("storetest: load issue %d of %d: %w", i+1, len(issues), err)
		}
		stories += 1 + len(issues[i].Roundup)
		if w != nil && (stories >= next || i == len(issues)-1) {
			fmt.Fprintf(w, "storetest: loaded %d stories (%d issues) in %v\n", stories, i+1, time.Since(start).Round(time.Millisecond))
			next += 10000
		}
	}
	return nil
}
