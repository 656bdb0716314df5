-- folders.lua HOST PORT USER PASS WANT: the subscribed folders with their
-- counts (GetFolderList); at least WANT rows.
dofile(arg[0]:gsub("[^/]*$", "") .. "common.lua")
local cHost, nPort, cUser, cPass = BenchArgs()
local nWant = tonumber(arg[5])

local oServer = BenchIMAP(cHost, nPort, cUser, cPass)
local aFolders = oServer:GetFolderList()
if #aFolders < nWant then BenchFail("folders " .. #aFolders .. ", want at least " .. nWant) end
oServer:IMAPDisconnect()
print(#aFolders .. " folders")
