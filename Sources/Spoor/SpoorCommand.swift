@main
struct SpoorMain {
    static func main() {}
}
