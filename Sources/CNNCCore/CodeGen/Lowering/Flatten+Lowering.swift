extension Flatten: Lowering {
    var isView: Bool { true }

    func lower(_ group: FusedGroup, _ builder: inout PlanBuilder) {
        preconditionFailure("flatten is a view and has no step")
    }
}
