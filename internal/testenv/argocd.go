package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	lua "github.com/yuin/gopher-lua"
)

// ArgoCDHealthScript is the Argo CD health check shipped for ContainerCommits.
var ArgoCDHealthScript = filepath.Join(RepoRoot(), "argocd", "resource_customizations",
	"eci.containercommit.dev", "ContainerCommit", "health.lua")

// ArgoCDHealth runs the shipped health check on an object, as Argo CD does:
// the object is the global obj, and the script returns {status, message}.
func ArgoCDHealth(obj map[string]any) (status, message string, err error) {
	script, err := os.ReadFile(ArgoCDHealthScript)
	if err != nil {
		return "", "", err
	}
	L := lua.NewState(lua.Options{SkipOpenLibs: false})
	defer L.Close()
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoString(string(script)); err != nil {
		return "", "", fmt.Errorf("running %s: %w", ArgoCDHealthScript, err)
	}
	ret, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		return "", "", fmt.Errorf("the health check returned %s, not a table", L.Get(-1).Type())
	}
	return lua.LVAsString(ret.RawGetString("status")), lua.LVAsString(ret.RawGetString("message")), nil
}

// toLua converts decoded JSON into Lua values: objects become tables with
// string keys, arrays tables with 1-based keys.
func toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := L.NewTable()
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.RawSetString(k, toLua(L, v[k]))
		}
		return t
	case []any:
		t := L.NewTable()
		for _, e := range v {
			t.Append(toLua(L, e))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case nil:
		return lua.LNil
	}
	return lua.LString(fmt.Sprint(v))
}
