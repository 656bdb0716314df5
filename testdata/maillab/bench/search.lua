-- search.lua HOST PORT USER PASS FOLDER SENDER WANT: UIDs of the unread
-- messages from SENDER in FOLDER (SearchMsgs with SetUseRealID(.T.)).
dofile(arg[0]:gsub("[^/]*$", "") .. "common.lua")
local cHost, nPort, cUser, cPass = BenchArgs()
local cFolder, cFrom, nWant = arg[5], arg[6], tonumber(arg[7])

local oServer = BenchIMAP(cHost, nPort, cUser, cPass)
oServer:SetUseRealID(true)
if not oServer:ChangeFolder(cFolder) then BenchFail("ChangeFolder " .. cFolder) end
local aUIDs = oServer:SearchMsgs('UNSEEN FROM "' .. cFrom .. '"')
if type(aUIDs) ~= "table" or #aUIDs ~= nWant then
  BenchFail("SearchMsgs: " .. (type(aUIDs) == "table" and #aUIDs or tostring(aUIDs)) .. " UIDs, want " .. nWant)
end
oServer:IMAPDisconnect()
print(#aUIDs .. " uids")
