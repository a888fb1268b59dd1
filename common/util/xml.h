// Text for XML and HTML documents (JUnit reports, the HTML report).
#pragma once

#include <string>

namespace svp {

// Escapes the characters that would end text or an attribute value: & < > ".
inline std::string xml_escape(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

}  // namespace svp
