import CNNCRuntime
public enum CNNCVersion { public static let string = CNNCRuntimeVersion.string }
