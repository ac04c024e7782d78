// Placeholder until the runtime lands.
public enum CNNCRuntimeVersion { public static let string = "0.1.0" }
