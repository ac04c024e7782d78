import CNNCCore
print(CNNCVersion.string)
