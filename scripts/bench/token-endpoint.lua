-- POST /oauth2/token, client credentials, the client authenticated with HTTP Basic ($CLIENT_BASIC).
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("CLIENT_BASIC")
