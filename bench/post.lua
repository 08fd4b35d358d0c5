-- wrk script: POST a JSON body (CRMD_BODY) to CRMD_PATH with a bearer token.
function init(args)
  token = os.getenv("CRMD_TOKEN")
  path = os.getenv("CRMD_PATH")
  body = os.getenv("CRMD_BODY")
end

function request()
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  if status ~= 200 then
    errors = (errors or 0) + 1
  end
end
