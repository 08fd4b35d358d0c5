-- wrk script: GET one contact by id with a bearer token.
function init(args)
  token = os.getenv("CRMD_TOKEN")
  path = "/api/contacts/" .. os.getenv("CRMD_CONTACT")
end

function request()
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end
