/// How long a test waits for something that must happen before it calls it a hang. It only bounds
/// a failure, never the thing a test measures: a loaded 2-core machine running every suite at once
/// can take seconds for what takes milliseconds alone.
public let hangDeadline: Duration = .seconds(60)
