public import Logging

/// What a request is known by while it runs: the front end sets the id for the request's task,
/// and `RequestScope.metadataProvider` adds it to every log line written on its behalf, down to
/// the use cases and stores.
public enum RequestScope {
    @TaskLocal public static var id: String?

    public static let metadataProvider = Logger.MetadataProvider {
        guard let id else { return [:] }
        return ["request_id": .string(id)]
    }
}
