-- POST /oauth2/introspect of one access token ($TOKEN) by a resource server authenticated with
-- HTTP Basic ($CLIENT_BASIC; a client registered with --introspection).
wrk.method = "POST"
wrk.body = "token=" .. os.getenv("TOKEN")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("CLIENT_BASIC")
