enum PlaceholderAuthTestSupport {}
