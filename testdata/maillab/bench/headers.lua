-- headers.lua HOST PORT USER PASS FOLDER WANT: From and Subject of every
-- message of FOLDER with StartGetAllMsgHeader / EndGetAllMsgHeader (IMAPS).
dofile(arg[0]:gsub("[^/]*$", "") .. "common.lua")
local cHost, nPort, cUser, cPass = BenchArgs()
local cFolder, nWant = arg[5], tonumber(arg[6])

local oServer = BenchIMAP(cHost, nPort, cUser, cPass)
if not oServer:StartGetAllMsgHeader(cFolder, { "from", "subject" }) then
  BenchFail("StartGetAllMsgHeader: " .. oServer:GetErrorString(-1))
end
local aHeader = {}
local lDone = false
while not lDone do
  lDone, aHeader = oServer:EndGetAllMsgHeader(aHeader)
  if not lDone then Sleep(5) end
end
if #aHeader ~= nWant then BenchFail("rows " .. #aHeader .. ", want " .. nWant) end
oServer:IMAPDisconnect()
print(#aHeader .. " rows")
