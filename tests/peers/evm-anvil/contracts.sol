// SPDX-License-Identifier: MIT
// contracts.sol - the contracts make-chain.js deploys on anvil to give
// chainsleuth's `ingest evm --rpc` every kind of value movement it books:
// ERC-20 Transfer logs, WETH-style Deposit/Withdrawal, internal CALLs with
// value at depth 1 and 2, CREATE with value, SELFDESTRUCT with value, and
// inner frames that revert under an outer call that succeeds.
pragma solidity 0.8.26;

// A plain ERC-20: transfer, approve, transferFrom; minted once to the deployer.
contract Pebble {
    string public constant name = "Pebble";
    string public constant symbol = "PBL";
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(uint256 supply) {
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        require(allowed >= amount, "Pebble: allowance");
        allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private {
        require(balanceOf[from] >= amount, "Pebble: balance");
        unchecked {
            balanceOf[from] -= amount;
        }
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}

// WETH9-style wrapper: deposit() takes ETH and credits the sender, withdraw()
// pays it back with an inner CALL. Events as WETH9's (no Transfer events).
contract Wrapped {
    mapping(address => uint256) public balanceOf;

    event Deposit(address indexed dst, uint256 wad);
    event Withdrawal(address indexed src, uint256 wad);

    receive() external payable {
        deposit();
    }

    function deposit() public payable {
        balanceOf[msg.sender] += msg.value;
        emit Deposit(msg.sender, msg.value);
    }

    function withdraw(uint256 wad) external {
        require(balanceOf[msg.sender] >= wad, "Wrapped: balance");
        balanceOf[msg.sender] -= wad;
        (bool ok, ) = payable(msg.sender).call{value: wad}("");
        require(ok, "Wrapped: send");
        emit Withdrawal(msg.sender, wad);
    }
}

// One hop of a payment route: passes what it gets on to `to`. fail() does the
// same and then reverts, so its value transfers must not count.
contract Hop {
    function pass(address payable to) external payable {
        (bool ok, ) = to.call{value: msg.value}("");
        require(ok, "Hop: send");
    }

    function fail(address payable to) external payable {
        (bool ok, ) = to.call{value: msg.value}("");
        require(ok, "Hop: send");
        revert("Hop: refused after sending");
    }
}

// Routes payments through a Hop (Router -> Hop -> payee: CALLs at depth 1 and 2),
// keeping `fee` wei per payee.
contract Router {
    Hop public immutable hop;
    uint256 public constant fee = 1000;

    constructor(Hop h) {
        hop = h;
    }

    function pay(address payable[] calldata payees) external payable {
        require(payees.length > 0, "Router: no payees");
        uint256 each = msg.value / payees.length - fee;
        for (uint256 i = 0; i < payees.length; i++) hop.pass{value: each}(payees[i]);
    }

    // The outer call succeeds; the inner one reverts (try/catch), and so does
    // a low-level call to a Hop that refuses: the router keeps the value.
    function tryPay(address payable payee) external payable returns (bool viaTry, bool viaCall) {
        uint256 half = msg.value / 2;
        try hop.fail{value: half}(payee) {
            viaTry = true;
        } catch {
            viaTry = false;
        }
        (viaCall, ) = address(hop).call{value: msg.value - half}(
            abi.encodeCall(Hop.fail, (payee))
        );
    }

    // A payable function that always reverts: a failed tx that carries value.
    function refuse() external payable {
        revert("Router: refused");
    }
}

// Holds ETH for an owner; smash() selfdestructs to the owner (under EIP-6780 the
// contract stays but its balance moves). With `now_` it selfdestructs in its
// constructor, so creation and selfdestruct happen in one transaction.
contract Piggy {
    address payable public owner;

    constructor(address payable owner_, bool now_) payable {
        owner = owner_;
        if (now_) selfdestruct(owner_);
    }

    receive() external payable {}

    function smash() external {
        require(msg.sender == owner, "Piggy: owner");
        selfdestruct(owner);
    }
}

// Creates Piggies with value from inside a call (an inner CREATE with value).
contract Factory {
    event Spawned(address piggy, uint256 value);

    function spawn(address payable owner, bool now_) external payable returns (address p) {
        p = address(new Piggy{value: msg.value}(owner, now_));
        emit Spawned(p, msg.value);
    }
}

// A minimal ERC-1155 (no receiver hooks): fungible amounts per token id, moved
// by TransferSingle and TransferBatch events; mint() is open, for the test.
contract Gem {
    string public constant name = "Gem";
    mapping(uint256 => mapping(address => uint256)) public balanceOf_;

    event TransferSingle(address indexed operator, address indexed from, address indexed to, uint256 id, uint256 value);
    event TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids, uint256[] values);

    function balanceOf(address account, uint256 id) external view returns (uint256) {
        return balanceOf_[id][account];
    }

    function mint(address to, uint256 id, uint256 amount) external {
        balanceOf_[id][to] += amount;
        emit TransferSingle(msg.sender, address(0), to, id, amount);
    }

    function safeTransferFrom(address from, address to, uint256 id, uint256 amount, bytes calldata) external {
        require(from == msg.sender, "not owner");
        balanceOf_[id][from] -= amount;
        balanceOf_[id][to] += amount;
        emit TransferSingle(msg.sender, from, to, id, amount);
    }

    function safeBatchTransferFrom(address from, address to, uint256[] calldata ids, uint256[] calldata amounts, bytes calldata) external {
        require(from == msg.sender && ids.length == amounts.length, "bad batch");
        for (uint256 i = 0; i < ids.length; i++) {
            balanceOf_[ids[i]][from] -= amounts[i];
            balanceOf_[ids[i]][to] += amounts[i];
        }
        emit TransferBatch(msg.sender, from, to, ids, amounts);
    }
}
