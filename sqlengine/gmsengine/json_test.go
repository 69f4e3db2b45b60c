package gmsengine

import "testing"

func TestJSONMember(t *testing.T) {
	idx := func(i int) *int { return &i }
	for _, c := range []struct {
		doc  string
		step jsonPathStep
		want string
	}{
		{`{"a": 1, "b" : [1, {"c": "}"}] }`, jsonPathStep{key: "b"}, `[1, {"c": "}"}]`},
		{`{"a":1,"a":[1, 2]}`, jsonPathStep{key: "a"}, `[1, 2]`},
		{`{"a\u0062":"x\"y"}`, jsonPathStep{key: "ab"}, `"x\"y"`},
		{`{"0": true}`, jsonPathStep{key: "0", index: idx(0)}, `true`},
		{`{"0": true}`, jsonPathStep{index: idx(0)}, ``},
		{` [1, "two" ,null] `, jsonPathStep{index: idx(1)}, `"two"`},
		{`[1, 2, 3]`, jsonPathStep{index: idx(-1)}, `3`},
		{`[1, 2, 3]`, jsonPathStep{index: idx(-4)}, ``},
		{`[1, 2, 3]`, jsonPathStep{key: "a"}, ``},
		{`"x"`, jsonPathStep{index: idx(0)}, ``},
		{`{}`, jsonPathStep{key: "a"}, ``},
	} {
		if got := jsonMember(c.doc, c.step); got != c.want {
			t.Errorf("jsonMember(%s, %+v) = %q, want %q", c.doc, c.step, got, c.want)
		}
	}
	for member, want := range map[string]any{`"a\nb"`: "a\nb", `null`: nil, `1.50`: "1.50", `[1]`: "[1]", ``: nil} {
		if got := jsonResult(member, true); got != want {
			t.Errorf("jsonResult(%q, true) = %v, want %v", member, got, want)
		}
	}
}
