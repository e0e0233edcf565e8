-- Argo CD health of a ContainerCommit: a run-to-completion object, healthy
-- once the image is pushed, degraded once the commit failed for good.
local hs = {status = "Progressing", message = "Waiting for the controller"}
if obj.status == nil then
  return hs
end
if obj.metadata ~= nil and obj.metadata.generation ~= nil and obj.status.observedGeneration ~= nil
    and obj.status.observedGeneration < obj.metadata.generation then
  hs.message = "Waiting for the controller to observe the latest spec"
  return hs
end
local ready = nil
if obj.status.conditions ~= nil then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.type == "Ready" then
      ready = condition
    end
  end
end
if ready ~= nil and ready.message ~= nil then
  hs.message = ready.message
end
if obj.status.phase == "Succeeded" then
  hs.status = "Healthy"
elseif obj.status.phase == "Failed" then
  hs.status = "Degraded"
end
return hs
