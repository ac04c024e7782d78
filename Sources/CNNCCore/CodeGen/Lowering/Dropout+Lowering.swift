extension Dropout: Lowering {
    var isView: Bool { true }

    func lower(_ group: FusedGroup, _ builder: inout PlanBuilder) {
        preconditionFailure("dropout is a view and has no step")
    }
}
