-- move.lua HOST PORT USER PASS N FOLDER: move messages 1..N of INBOX to
-- FOLDER with one MoveMsgs call.
dofile(arg[0]:gsub("[^/]*$", "") .. "common.lua")
local cHost, nPort, cUser, cPass = BenchArgs()
local nMove, cTo = tonumber(arg[5]), arg[6]

local oServer = BenchIMAP(cHost, nPort, cUser, cPass)
oServer:SetUseRealID(false)
if not oServer:ChangeFolder("INBOX") then BenchFail("ChangeFolder INBOX") end
local aMsgs = {}
for i = 1, nMove do aMsgs[i] = i end
if not oServer:MoveMsgs(aMsgs, cTo) then BenchFail("MoveMsgs: " .. oServer:GetErrorString(-1)) end
oServer:IMAPDisconnect()
