package bindings

import (
	"sort"
	"strings"
)

// AdvPL type letters used in Param.Type, Member.Type and return values.
// A Param may accept several types, written joined by "|" ("N|C": a number
// or a numeric string).
const (
	TypeChar   = "C" // string
	TypeNum    = "N" // number
	TypeBool   = "L" // logical (boolean)
	TypeArray  = "A" // array (Lua table with 1-based integer keys)
	TypeObject = "O" // object (userdata of one of the classes)
	TypeAny    = "U" // anything / nil
)

// Kind tells a method from a property.
type Kind string

// Member kinds.
const (
	KindMethod   Kind = "method"
	KindProperty Kind = "property"
)

// Param describes one parameter or one returned value.
type Param struct {
	Name     string // AdvPL-style name: cServer, nPort, aFiles, oServer
	Type     string // type letters, "|"-separated when several are accepted
	Optional bool   // may be omitted or nil
	// ByRef marks an AdvPL @var parameter: the value passed is ignored and
	// its new value is returned after the method's own result, in parameter
	// order (nErr, nNumMsgs = oServer:GetNumMsgs(nNumMsgs)).
	ByRef bool
	// Doc describes the parameter or value.
	Doc string
}

// Member is one method or property of a class.
type Member struct {
	Name string // canonical spelling; lookups ignore case
	// Kind tells a method from a property.
	Kind    Kind
	Type    string  // property type letter
	Params  []Param // methods: parameters, self excluded
	Returns []Param // methods: values returned in order (own result first, then ByRef values)
	// Doc describes the member.
	Doc string
}

// ClassSpec describes a Lua-visible class for documentation, LuaLS stubs
// and REPL completion.
type ClassSpec struct {
	// Name is the class name as AdvPL spells it.
	Name string
	// Doc describes the class.
	Doc string
	// Members are its methods and properties.
	Members []Member
}

// FuncSpec describes a global function.
type FuncSpec struct {
	// Name is the function name as AdvPL spells it.
	Name string
	// Params are the parameters, in order.
	Params []Param
	// Returns are the values returned, in order.
	Returns []Param
	// Doc describes the function.
	Doc string
}

// Member returns the member named name in any letter case.
func (s ClassSpec) Member(name string) (Member, bool) {
	for _, m := range s.Members {
		if strings.EqualFold(m.Name, name) {
			return m, true
		}
	}
	return Member{}, false
}

// Classes returns the specs of every class Open installs, sorted by name.
func Classes() []ClassSpec {
	var out []ClassSpec
	for _, c := range registeredClasses() {
		out = append(out, c.Spec())
	}
	return out
}

// Functions returns the specs of every global function Open installs,
// sorted by name.
func Functions() []FuncSpec {
	var out []FuncSpec
	for _, f := range registeredFuncs() {
		out = append(out, f.FuncSpec)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Spec returns the ClassSpec of c: its methods then its properties, each in
// declaration order.
func (c *Class) Spec() ClassSpec {
	s := ClassSpec{Name: c.Name, Doc: c.Doc}
	for _, m := range c.Methods {
		mm := m.Member
		mm.Kind = KindMethod
		s.Members = append(s.Members, mm)
	}
	for _, p := range c.Properties {
		pm := p.Member
		pm.Kind = KindProperty
		s.Members = append(s.Members, pm)
	}
	return s
}

// Small constructors that keep the member tables readable.

func req(name, typ, doc string) Param { return Param{Name: name, Type: typ, Doc: doc} }
func opt(name, typ, doc string) Param { return Param{Name: name, Type: typ, Optional: true, Doc: doc} }
func ref(name, typ, doc string) Param { return Param{Name: name, Type: typ, ByRef: true, Doc: doc} }
func ret(name, typ, doc string) Param { return Param{Name: name, Type: typ, Doc: doc} }
func rets(p ...Param) []Param         { return p }
func params(p ...Param) []Param       { return p }
