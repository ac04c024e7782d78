/// Names handed out once each: `base`, else `base_1`, `base_2`, … (ONNX values and nodes, imported
/// layer names).
struct UniqueNames {
    private var taken: Set<String>

    init(reserving names: Set<String> = []) { taken = names }

    mutating func reserve(_ names: [String]) { taken.formUnion(names) }

    mutating func claim(_ base: String) -> String {
        var name = base
        var counter = 1
        while taken.contains(name) {
            name = "\(base)_\(counter)"
            counter += 1
        }
        taken.insert(name)
        return name
    }
}
