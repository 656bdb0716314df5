-- tenant.lua: what a tenant's script may and may not do with files.
local cTemplate = MemoRead("tenant1/templates/aviso.txt")
conout("template: " .. AllTrim(cTemplate))

-- The spool is read-write.
conout("spool write: " .. tostring(MemoWrite("tenant1/spool/aviso.txt", cTemplate .. "Cliente 42\n")))
conout("spool read: " .. tostring(File("tenant1/spool/aviso.txt")))

-- The templates are read-only: the AdvPL function fails with FError() 5.
conout("template write: " .. tostring(MemoWrite("tenant1/templates/aviso.txt", "x")) .. " FError " .. FError())

-- Outside the folders, Lua's io functions raise an error.
local ok, err = pcall(io.open, "../../go.mod")
conout("io.open outside: " .. tostring(ok))
