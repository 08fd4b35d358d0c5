-- wrk script: GET a contact list URL (CRMD_PATH) with a bearer token.
function init(args)
  token = os.getenv("CRMD_TOKEN")
  path = os.getenv("CRMD_PATH")
end

function request()
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end
