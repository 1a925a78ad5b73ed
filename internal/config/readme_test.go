package config

import (
	"bufio"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// readmeRow is a row of one of the README's configuration tables (those
// whose first column is headed "env").
type readmeRow struct {
	line  int
	names []string // the first cell's CUSTGRAPH_* names, patterns unexpanded
	def   string   // the second cell, the default
}

var readmeName = regexp.MustCompile(`CUSTGRAPH_[A-Z0-9_<>]+`)

// readme reads the configuration tables of the README, and every
// CUSTGRAPH_* name it mentions anywhere with the line of its first
// mention.
func readme(t *testing.T) (rows []readmeRow, mentions map[string]int) {
	t.Helper()
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mentions = map[string]int{}
	inTable := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		for _, name := range readmeName.FindAllString(line, -1) {
			if mentions[name] == 0 {
				mentions[name] = n
			}
		}
		if !strings.HasPrefix(line, "|") {
			inTable = false
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		first := strings.TrimSpace(cells[0])
		switch {
		case first == "env":
			inTable = true
		case inTable && strings.Trim(first, "-: ") != "":
			row := readmeRow{line: n, names: readmeName.FindAllString(first, -1)}
			if len(cells) > 1 {
				row.def = strings.TrimSpace(cells[1])
			}
			rows = append(rows, row)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no configuration table (first column headed env) in README.md")
	}
	return rows, mentions
}

// expand turns a README name into the variables it stands for:
// CUSTGRAPH_<SOURCE>_TIMEOUT is one per source. An unknown pattern
// expands to itself, and fails as no setting.
func expand(name string) []string {
	if !strings.Contains(name, "<SOURCE>") {
		return []string{name}
	}
	var out []string
	for _, st := range tunings {
		out = append(out, strings.Replace(name, "<SOURCE>", st.source, 1))
	}
	return out
}

// TestReadmeDocumentsEverySetting: the README's configuration tables
// document exactly the variables the settings table declares, and the
// README mentions no CUSTGRAPH_* variable that does not exist.
func TestReadmeDocumentsEverySetting(t *testing.T) {
	rows, mentions := readme(t)
	declared := map[string]bool{}
	each(func(_ section, s setting) { declared[s.name] = true })
	documented := map[string]int{}
	for _, row := range rows {
		for _, pattern := range row.names {
			for _, name := range expand(pattern) {
				documented[name] = row.line
			}
		}
	}
	for _, name := range sortedKeys(declared) {
		if documented[name] == 0 {
			t.Errorf("%s is read but not documented in README.md's configuration tables", name)
		}
	}
	for _, name := range sortedKeys(documented) {
		if !declared[name] {
			t.Errorf("README.md:%d documents %s, which custgraph does not read", documented[name], name)
		}
	}
	for _, pattern := range sortedKeys(mentions) {
		for _, name := range expand(pattern) {
			if !declared[name] && !notSettings[name] && documented[name] == 0 { // the latter reported above
				t.Errorf("README.md:%d mentions %s, which custgraph does not read", mentions[pattern], name)
			}
		}
	}
}

// TestReadmeDefaults: where a row's default cell gives one `value` per
// variable (or is empty), it is the setting's default, compared as parsed
// (`2m` is 120s). Cells in words ("`on` in demo mode, else `off`", "CRM
// `10/10s`, U8 and YCM `off`") are left to the reader.
func TestReadmeDefaults(t *testing.T) {
	rows, _ := readme(t)
	byName := map[string]setting{}
	each(func(_ section, s setting) { byName[s.name] = s })
	backticked := regexp.MustCompile("`([^`]*)`")
	checked := 0
	for _, row := range rows {
		var values []string
		for _, m := range backticked.FindAllStringSubmatch(row.def, -1) {
			values = append(values, m[1])
		}
		switch {
		case row.def == "":
			values = make([]string, len(row.names))
		case len(values) == 0 || len(values) != len(row.names) || backticked.ReplaceAllString(row.def, "") != strings.Repeat(", ", len(values)-1):
			continue // in words
		}
		for i, pattern := range row.names {
			for _, name := range expand(pattern) {
				s, ok := byName[name]
				if !ok {
					continue // TestReadmeDocumentsEverySetting reports it
				}
				checked++
				if s.demoDef {
					t.Errorf("README.md:%d gives %s the default %q; it follows the demo mode", row.line, name, values[i])
					continue
				}
				readme, code := &Config{}, &Config{}
				if err := s.bind.parse(readme, values[i]); err != nil {
					t.Errorf("README.md:%d: %s's default %q does not parse: %v", row.line, name, values[i], err)
					continue
				}
				_ = s.bind.parse(code, s.def) // Load(nil) succeeding shows every default parses
				if got, want := s.bind.show(readme), s.bind.show(code); got != want {
					t.Errorf("README.md:%d gives %s the default %q; the code's is %q", row.line, name, values[i], s.def)
				}
			}
		}
	}
	if checked < 30 {
		t.Errorf("only %d defaults compared: has the README's table format changed?", checked)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
