package customer

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestNormalizeText(t *testing.T) {
	tests := []struct{ give, want string }{
		{"", ""},
		{"上海华信电子科技有限公司", "上海华信电子科技有限公司"},
		{"ＡＢＣ　华信", "abc华信"},                            // full-width letters, ideographic space
		{" Info@HuaXin.COM.cn ", "info@huaxin.com.cn"}, // case, spaces
		{"华 信\t电\n子", "华信电子"},
		{"１３８ ００１３", "1380013"}, // full-width digits
		{"（北京）", "(北京)"},        // full-width parentheses
		{"ÀÉÎ", "àéî"},
		{"ｶﾀｶﾅ", "カタカナ"}, // half-width katakana to full-width (NFKC)
		{"Ⅻ", "xii"},     // compatibility characters
	}
	for _, tt := range tests {
		if got := NormalizeText(tt.give); got != tt.want {
			t.Errorf("NormalizeText(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestPhoneDigits(t *testing.T) {
	tests := []struct{ give, want string }{
		{"+86 138-1138-8661", "8613811388661"},
		{"(0571)88886666 转 801", "057188886666801"},
		{"１３８", "138"},
		{"无", ""},
	}
	for _, tt := range tests {
		if got := PhoneDigits(tt.give); got != tt.want {
			t.Errorf("PhoneDigits(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	mobile := Phone164{Number: "+8613811388661"}
	hz := Phone164{Number: "+8657188886666"}
	hzExt := Phone164{Number: "+8657188886666", Ext: "801"}
	tests := []struct {
		give    string
		want    Phone164
		wantErr string
	}{
		{give: "+86 138-1138-8661", want: mobile},
		{give: "+86 13811388661", want: mobile},
		{give: "0086 13811388661", want: mobile},
		{give: "8613811388661", want: mobile},
		{give: "13811388661", want: mobile},
		{give: "138 1138 8661", want: mobile},
		{give: "１３８１１３８８６６１", want: mobile},
		{give: "+８６　１３８１１３８８６６１", want: mobile},
		{give: "(0571)88886666", want: hz},
		{give: "（0571）88886666", want: hz},
		{give: "0571-88886666", want: hz},
		{give: "0571 8888 6666", want: hz},
		{give: "+86 (0571) 8888-6666", want: hz},
		{give: "+86 571 88886666", want: hz},
		{give: "0086-571-88886666", want: hz},
		{give: "0571-8888 6666 转 801", want: hzExt},
		{give: "0571-88886666转801", want: hzExt},
		{give: "0571-88886666 分机 801", want: hzExt},
		{give: "0571-88886666 分机号：801", want: hzExt},
		{give: "0571-88886666 ext 801", want: hzExt},
		{give: "0571-88886666 EXT. 801", want: hzExt},
		{give: "0571-88886666x801", want: hzExt},
		{give: "0571-88886666 X 801", want: hzExt},
		{give: "0571-88886666#801", want: hzExt},
		{give: "010-88886666", want: Phone164{Number: "+861088886666"}},
		{give: "021-64871234", want: Phone164{Number: "+862164871234"}},
		{give: "0755-2345678", want: Phone164{Number: "+867552345678"}},
		{give: "400-800-8888", want: Phone164{Number: "+864008008888"}},
		{give: "+1 650-253-0000", want: Phone164{Number: "+16502530000"}},
		{give: "88886666", want: Phone164{Number: "88886666"}},
		{give: "8888-6666", want: Phone164{Number: "88886666"}},
		{give: "８８８８６６６６", want: Phone164{Number: "88886666"}},
		{give: "2345678", want: Phone164{Number: "2345678"}},
		{give: "8888 6666 转 12", want: Phone164{Number: "88886666", Ext: "12"}},
		{give: "", wantErr: "no digits"},
		{give: "无", wantErr: "letters"},
		{give: "-", wantErr: "no digits"},
		{give: "call 13811388661", wantErr: "letters"},
		{give: "138-FLOWERS", wantErr: "letters"},
		{give: "13811388661!", wantErr: "not a phone number"},
		{give: "95588", wantErr: "too short"},
		{give: "801", wantErr: "too short"},
		{give: "888666", wantErr: "too short"},
		{give: "1381138866123456789", wantErr: "too long"},
		{give: "0571-88886666 转", wantErr: "letters"},
	}
	for _, tt := range tests {
		got, err := NormalizePhone(tt.give)
		if tt.wantErr != "" {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeBadInput || !strings.Contains(e.Message, tt.wantErr) {
				t.Errorf("NormalizePhone(%q) = %+v, %v; want a BadInput error mentioning %q", tt.give, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizePhone(%q) = %+v, %v; want %+v", tt.give, got, err, tt.want)
		}
	}
}

// TestNormalizePhoneFastAgrees holds chinaFast to phonenumbers: for every
// kind of number it answers, phonenumbers answers the same.
func TestNormalizePhoneFastAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	digits := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		return b.String()
	}
	areas := []string{"10", "20", "21", "22", "23", "24", "25", "27", "28", "29", "311", "351", "371", "411", "431",
		"451", "471", "510", "512", "531", "551", "571", "574", "591", "592", "731", "755", "757", "769", "791", "871", "898", "991"}
	prefixes := []string{"", "0086", "+86", "86", "+86 0"}
	fast := 0
	for i := 0; i < 20000; i++ {
		var national string
		switch r.IntN(3) {
		case 0:
			national = "1" + string(rune('3'+r.IntN(7))) + digits(9)
		case 1:
			a := areas[r.IntN(len(areas))]
			n := 8
			if len(a) == 3 && r.IntN(2) == 0 {
				n = 7
			}
			national = a + string(rune('2'+r.IntN(8))) + digits(n-1)
		default:
			national = digits(9 + r.IntN(4)) // anything
		}
		p := prefixes[r.IntN(len(prefixes))]
		typed := p + national
		if p == "" && national[0] != '1' {
			typed = "0" + national
		}
		if p == "86" && national[0] != '1' {
			continue // 86 then an area code is phonenumbers' to judge
		}
		d, plus := strings.TrimPrefix(strings.ReplaceAll(typed, " ", ""), "+"), strings.HasPrefix(typed, "+")
		got, ok := chinaFast(d, plus)
		if !ok {
			continue
		}
		fast++
		num, err := phonenumbers.Parse(typed, "CN")
		if err != nil {
			t.Errorf("chinaFast(%q) = %q, phonenumbers fails: %v", typed, got, err)
			continue
		}
		want := phonenumbers.Format(num, phonenumbers.E164)
		if got != want || phonenumbers.IsPossibleNumberWithReason(num) != phonenumbers.IS_POSSIBLE {
			t.Errorf("chinaFast(%q) = %q, want %q (possible: %v)", typed, got, want, phonenumbers.IsPossibleNumberWithReason(num))
		}
	}
	if fast < 5000 {
		t.Errorf("chinaFast answered %d of the numbers, want most of the mobiles and landlines", fast)
	}
}

func TestNameSortKey(t *testing.T) {
	tests := []struct {
		name string
		want []string // in order
	}{
		{"cities", []string{"阿里", "北京", "长沙", "重庆", "大连", "厦门", "中山"}},
		{"prefix first", []string{"北", "北京", "北京市", "北京市华信"}},
		{"companies", []string{"安徽华信贸易有限公司", "北京天华科技有限公司", "成都华信电子有限公司", "重庆长安汽车股份有限公司", "杭州华信电子科技有限公司", "招商银行股份有限公司", "中国银行股份有限公司"}},
		{"latin and digits", []string{"123", "3M中国", "9号", "abc", "ＡＢＣ", "apple", "Apple", "Zeta", "阿里"}},
		{"polyphones kept", []string{"董事常", "董事长"}}, // 长 as zhǎng after 董事
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Clone(tt.want)
			r := rand.New(rand.NewPCG(3, 4))
			r.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
			slices.SortStableFunc(got, func(a, b string) int { return bytes.Compare(NameSortKey(a), NameSortKey(b)) })
			if !slices.Equal(got, tt.want) {
				t.Errorf("sorted by NameSortKey: %v, want %v", got, tt.want)
			}
		})
	}
	if a, b := NameSortKey("华信"), NameSortKey("华信"); !bytes.Equal(a, b) {
		t.Errorf("NameSortKey is not stable: %v, then %v", a, b)
	}
}

func TestNameSortKeyConcurrent(t *testing.T) {
	want := NameSortKey("上海华信电子科技有限公司")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				name := fmt.Sprintf("公司%d", i)
				NameSortKey(name)
				if got := NameSortKey("上海华信电子科技有限公司"); !bytes.Equal(got, want) {
					t.Errorf("NameSortKey under concurrent use: %v, want %v", got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkNameSortKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		NameSortKey("上海华信电子科技有限公司")
	}
}

func BenchmarkNormalizeText(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		NormalizeText("上海华信电子科技有限公司")
	}
}

func BenchmarkNormalizePhone(b *testing.B) {
	for _, s := range []string{"0571-88886666", "+86 138-1138-8661", "0571-88886666 转 801", "+1 650-253-0000"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := NormalizePhone(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
