import BPFObject
import Testing

@Suite struct CORENameTests {
    /// libbpf's flavour rule: cut at the last `X___Y` with X and Y not underscores.
    @Test(arguments: [
        ("nf_conn___init", "nf_conn"), ("xdp_md___local", "xdp_md"), ("a___b___c", "a___b"), ("task_struct", "task_struct"),
        ("____x", "____x"), ("a____b", "a____b"), ("a___", "a___"), ("x___y", "x"),
    ])
    func essentialNames(_ name: String, _ essential: String) {
        #expect(CORERelocator.essentialName(name) == essential)
    }
}
