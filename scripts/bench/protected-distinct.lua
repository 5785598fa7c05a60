-- GET /protected with a different token on each request, cycling through the file $TOKENS.
local tokens = {}
local next_token = 1

function init(args)
    for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
    next_token = math.random(#tokens)
end

function request()
    next_token = next_token % #tokens + 1
    return wrk.format("GET", "/protected", { ["Authorization"] = "Bearer " .. tokens[next_token] })
end
