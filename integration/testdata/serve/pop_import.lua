-- pop_import.lua: a served POP3 import job (Main=pop_import.lua), written
-- to the at-least-once contract of advmail serve: a run may be cut off at
-- any point (its node killed) and run again, so every step is safe to
-- repeat.
--
--   * each message is saved under a name derived from its Message-ID
--     (hex of the ID: no two IDs share a name) before it is marked for
--     deletion; the file is written to a temporary name and renamed, so a
--     saved file is always complete;
--   * a message whose file already exists was imported by an earlier
--     attempt that did not get to commit its deletions: it is not saved
--     again, only deleted;
--   * DELE is committed by POPDisconnect (QUIT) only: a run that dies
--     deletes nothing, and the next run sees the same maildrop.
--
-- Parameters (Parm1..Parm6): output folder, server, account, password,
-- POP3S port, pause between messages in milliseconds (to make a run slow
-- enough to be killed in the middle).
local cDir, cServer, cUser, cPass, cPort, cPause = ...
local nPort, nPause = tonumber(cPort), tonumber(cPause) or 0

local function hexName(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function exists(cPath)
  local f = io.open(cPath, "rb")
  if f then
    f:close()
    return true
  end
  return false
end

local oServer = TMailManager():New()
oServer:SetUseSSL(true)
oServer:Init(cServer, "", cUser, cPass, nPort, 0)
oServer:SetPOPTimeout(20)
local nRet = oServer:POPConnect()
if nRet ~= 0 then
  error("POPConnect: " .. oServer:GetErrorString(nRet))
end
local nNum
nRet, nNum = oServer:GetNumMsgs(0)
if nRet ~= 0 then
  error("GetNumMsgs: " .. oServer:GetErrorString(nRet))
end
conout("messages " .. nNum)

local oMsg = TMailMessage():New()
local nSaved, nAlready = 0, 0
for nI = 1, nNum do
  if KillApp() then
    conout("stopping: " .. (nSaved + nAlready) .. " of " .. nNum .. " done")
    break
  end
  oMsg:Clear()
  nRet = oMsg:Receive(oServer, nI)
  if nRet ~= 0 then
    error("Receive " .. nI .. ": " .. oServer:GetErrorString(nRet))
  end
  local cID = oMsg.cMessageID
  local cFile = cDir .. "/" .. hexName(cID) .. ".eml"
  if exists(cFile) then
    nAlready = nAlready + 1
    conout("already " .. cID)
  else
    local cTmp = cFile .. ".part"
    nRet = oMsg:Save(cTmp)
    if nRet ~= 0 then
      error("Save " .. cTmp .. ": " .. nRet)
    end
    local lOk, cErr = os.rename(cTmp, cFile)
    if not lOk then
      error("rename " .. cTmp .. ": " .. tostring(cErr))
    end
    nSaved = nSaved + 1
    conout("saved " .. cID)
  end
  nRet = oServer:DeleteMsg(nI)
  if nRet ~= 0 then
    error("DeleteMsg " .. nI .. ": " .. oServer:GetErrorString(nRet))
  end
  conout("imported " .. (nSaved + nAlready))
  if nPause > 0 then
    Sleep(nPause)
  end
end

nRet = oServer:POPDisconnect()
if nRet ~= 0 then
  error("POPDisconnect: " .. oServer:GetErrorString(nRet))
end
conout("done: saved " .. nSaved .. ", already imported " .. nAlready)
