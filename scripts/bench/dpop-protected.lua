-- GET /protected with the DPoP-bound $TOKEN and a proof of its own from the file $PROOFS on each
-- request: each wrk thread takes every n-th line (n threads), so no proof is sent twice until the
-- file runs out (after that the replays are refused, and wrk counts them as non-2xx answers).
local counter = 0
local threads = {}
local proofs = {}
local next_proof = 0

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

function init(args)
    local line_number = 0
    local total = tonumber(os.getenv("THREADS"))
    for line in io.lines(os.getenv("PROOFS")) do
        if line_number % total == id then proofs[#proofs + 1] = line end
        line_number = line_number + 1
    end
end

function request()
    next_proof = next_proof % #proofs + 1
    return wrk.format("GET", "/protected", {
        ["Authorization"] = "DPoP " .. os.getenv("TOKEN"),
        ["DPoP"] = proofs[next_proof],
    })
end
