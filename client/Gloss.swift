import ArgumentParser
@main struct Gloss: ParsableCommand { func run() {} }
