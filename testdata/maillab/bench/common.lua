-- common.lua: shared by the lab benchmark's scripts (loaded with dofile).
-- Arguments: host port user password, then the workload's own.

function BenchArgs()
  local a = arg
  return a[1], tonumber(a[2]), a[3], a[4]
end

function BenchFail(cWhat)
  error("bench: " .. cWhat, 0)
end

-- BenchIMAP connects over IMAPS and returns the manager.
function BenchIMAP(cHost, nPort, cUser, cPass)
  local oServer = TMailManager():New()
  oServer:SetUseSSL(true)
  oServer:Init(cHost, "", cUser, cPass, nPort, 0)
  oServer:SetPOPTimeout(120)
  local nRet = oServer:IMAPConnect()
  if nRet ~= 0 then
    BenchFail("IMAPConnect: " .. oServer:GetErrorString(nRet))
  end
  return oServer
end
