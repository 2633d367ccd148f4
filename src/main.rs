fn main() {
    println!("fv-partner-app: under construction");
}
