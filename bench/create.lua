-- wrk script: POST /api/contact with a phone number no other request uses.
-- Each wrk thread numbers its own requests inside its own exchange block.
local counter = 0
local thread_no = 0
local threads = {}

function setup(thread)
  thread_no = thread_no + 1
  thread:set("exchange", 200 + thread_no)
  table.insert(threads, thread)
end

function init(args)
  token = os.getenv("CRMD_TOKEN")
  area = os.getenv("CRMD_AREA") or "212"
  -- CRMD_STAGES="A|B|C": the contacts go round those stages (by name) of the default pipeline
  stages = {}
  for name in string.gmatch(os.getenv("CRMD_STAGES") or "", "[^|]+") do
    table.insert(stages, name)
  end
end

function request()
  counter = counter + 1
  local line = counter % 10000
  local ex = exchange + math.floor(counter / 10000) * 16
  local status = ""
  if #stages > 0 then
    status = string.format(',"status":"%s"', stages[counter % #stages + 1])
  end
  local body = string.format(
    '{"firstName":"Bench","lastName":"User%d","phoneNumber":"(%s) %03d-%04d"%s}',
    counter, area, ex, line, status)
  return wrk.format("POST", "/api/contact", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  if status ~= 201 then
    errors = (errors or 0) + 1
  end
end
