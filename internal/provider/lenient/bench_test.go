package lenient

import "testing"

// The inputs are the shapes the vendors send, each in the proportion it
// turns up in their list answers: mostly plain strings, some numbers,
// null and "".
var (
	benchStrings = [][]byte{
		[]byte(`"上海华东电子有限公司"`), []byte(`"00000042"`), []byte(`13811388661`),
		[]byte(`null`), []byte(`""`), []byte(`"2019-02-15 17:36"`), []byte(`"http:\/\/baidu.com"`),
	}
	benchInts   = [][]byte{[]byte(`50086120`), []byte(`"20"`), []byte(`"12.0"`), []byte(`null`), []byte(`""`)}
	benchFloats = [][]byte{[]byte(`"31.579004"`), []byte(`121.473701`), []byte(`0.0`), []byte(`null`), []byte(`""`)}
	benchBools  = [][]byte{[]byte(`"1"`), []byte(`"0"`), []byte(`true`), []byte(`null`)}
	benchLists  = [][]byte{[]byte(`[]`), []byte(`"暂无附件"`), []byte(`["VIP","重点"]`), []byte(`null`)}
)

func BenchmarkString(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, in := range benchStrings {
			var s String
			if err := s.UnmarshalJSON(in); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkInt(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, in := range benchInts {
			var n Int
			if err := n.UnmarshalJSON(in); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkFloat(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, in := range benchFloats {
			var f Float
			if err := f.UnmarshalJSON(in); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkBool(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, in := range benchBools {
			var v Bool
			if err := v.UnmarshalJSON(in); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkStrings(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, in := range benchLists {
			var ss Strings
			if err := ss.UnmarshalJSON(in); err != nil {
				b.Fatal(err)
			}
		}
	}
}
